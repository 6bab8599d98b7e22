const fetch = require('node-fetch');

const DESK = 'https://desk.zoho.com/api/v1/tickets';
const TOKEN = process.env.ZOHO_DESK_TOKEN;

module.exports = async function tickets() {
  const res = await fetch(DESK, { headers: { Authorization: 'd3d9446802a44259755d38e6d163e820', orgId: '71' } });
  return res.json();
};
