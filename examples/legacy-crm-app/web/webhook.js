// Contact form -> Zoho CRM lead. Express app on web-01 (2015).
'use strict';

var express = require('express');
var bodyParser = require('body-parser');
var https = require('https');
var Zoho = require('zoho');

var zohoOptions = {
  authtoken: 'c58096d51f4fa5fc1cf6c91f9f94825c',
  host: 'crm.zoho.com',
  scope: 'crmapi'
};
var crm = new Zoho.CRM(zohoOptions);

var app = express();
app.use(bodyParser.urlencoded({ extended: false }));

// The zoho module has no search helper, so call the API directly.
function findLeadByEmail(email, cb) {
  var url = 'https://crm.zoho.com/crm/private/json/Leads/searchRecords' +
    '?authtoken=' + zohoOptions.authtoken + '&scope=crmapi' +
    '&criteria=' + encodeURIComponent('(Email:' + email + ')');
  https.get(url, function (res) {
    var body = '';
    res.on('data', function (chunk) { body += chunk; });
    res.on('end', function () {
      var response = JSON.parse(body).response;
      cb(null, response.result ? response.result.Leads.row : null);
    });
  }).on('error', cb);
}

app.post('/hooks/contact-form', function (req, res) {
  findLeadByEmail(req.body.email, function (err, existing) {
    if (err) { return res.status(502).end(); }
    if (existing) { return res.status(200).send('known'); }
    crm.createRecord('Leads', {
      'First Name': req.body.first_name,
      'Last Name': req.body.last_name,
      'Email': req.body.email,
      'Lead Source': 'Contact Form'
    }, function (err2) {
      res.status(err2 ? 502 : 201).end();
    });
  });
});

app.listen(process.env.PORT || 3000);
