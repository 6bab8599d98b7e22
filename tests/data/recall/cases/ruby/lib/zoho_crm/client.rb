require 'net/http'
require 'json'

module ZohoCrm
  class Client
    ROOT = 'https://crm.zoho.com/crm/private'.freeze
    SCOPE = 'crmapi'.freeze
    REGIONS = %w[com eu in com.au].freeze

    def self.host_for(tld)
      "https://crm.zoho.#{tld}/crm/private"
    end

    def initialize(auth_token, format: 'json')
      @auth_token = auth_token
      @format = format
    end

    def request(mod, api_call, params = {})
      uri = URI("#{ROOT}/#{@format}/#{mod}/#{api_call}")
      uri.query = URI.encode_www_form(params.merge(authtoken: @auth_token, scope: SCOPE))
      JSON.parse(Net::HTTP.get(uri))
    end

    def insert_records(mod, xml)
      request(mod, 'insertRecords', xmlData: xml)
    end
  end
end
