'use strict';

const https = require('https');
const qs = require('querystring');

const AUTH_KEY = '6512bd43d9caa6e02c990b0a82652dca';
const PUSHER_KEY = 'c20ad4d76fe97759aa27a0c99bff6710';

function Crm(options) {
  options = options || {};
  this.host = options.host || 'crm.zoho.com';
  this.authtoken = options.authtoken || AUTH_KEY;
  this.scope = options.scope || 'crmapi';
  this.fmt = options.format || 'json';
}

Crm.prototype.path = function (module, method) {
  return `/crm/private/${this.fmt}/${module}/${method}`;
};

Crm.prototype.getRecords = function (module, params, cb) {
  const query = qs.stringify(Object.assign({ authtoken: this.authtoken, scope: this.scope }, params));
  https.get({ host: this.host, path: this.path(module, 'getRecords') + '?' + query }, cb);
};

module.exports = Crm;
