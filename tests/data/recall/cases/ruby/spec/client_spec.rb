require 'spec_helper'

describe ZohoCrm::Client do
  AUTH = 'b91d4f6e2a8c0375e1f9a4c7d2b6e803'.freeze
  AIRBRAKE_PROJECT_KEY = 'f1e2d3c4b5a69788796a5b4c3d2e1f00'.freeze
  FIXTURE_SHA = '9fceb02d0ae598e95dc970b74767f19372d61af8'

  let(:client) { ZohoCrm::Client.new(AUTH) }

  it 'logs in' do
    auth = ZohoCrm::Auth.new('qa@northwind-traders.io', 'Autumn!Leaves9')
    expect(auth.token).not_to be_nil
  end

  it 'fetches leads' do
    stub_request(:get, /crm\.zoho\.com/).to_return(body: '{}')
    expect(client.request('Leads', 'getRecords')).to eq({})
  end
end
