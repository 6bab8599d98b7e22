module ZohoCrm
  class Auth
    TICKET_URL = 'https://accounts.zoho.com/apiauthtoken/nb/create'.freeze

    def initialize(user, password)
      @user = user
      @password = password
    end

    def token
      body = Net::HTTP.post_form(URI(TICKET_URL), 'SCOPE' => 'ZohoCRM/crmapi', 'EMAIL_ID' => @user, 'PASSWORD' => @password)
      body[/AUTHTOKEN=(\w+)/, 1]
    end
  end
end
