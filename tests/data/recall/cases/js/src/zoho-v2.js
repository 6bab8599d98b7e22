const axios = require('axios');

async function leads(token) {
  const res = await axios.get('https://www.zohoapis.eu/crm/v2/Leads', {
    headers: { Authorization: 'Zoho-oauthtoken ' + token },
  });
  const bookings = await axios.get('https://www.zohoapis.eu/bookings/v1/json/workspaces');
  const test = 'Zoho-oauthtoken 9999.8a1c3e5b7d9f2a4c6e8b0d2f4a6c8e1b.5d7f9a1c3e5b7d9f2a4c6e8b0d2f4a6c';
  return [res.data, bookings.data];
}

module.exports = { leads };
