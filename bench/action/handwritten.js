// The reference policy (policies/reference.mfapolicy) as an admin writes
// it by hand in a post-login Action: the baseline of bench.js.
"use strict";

function ipv4(s) {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return null;
  return ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
}

function inOffice(ip) {
  if (typeof ip !== "string") return false;
  const v4 = ipv4(ip.toLowerCase().startsWith("::ffff:") ? ip.slice(7) : ip);
  return v4 !== null && (v4 & 0xffffff00) >>> 0 === 0xcb007100;
}

exports.onExecutePostLogin = async (event, api) => {
  const connection = event.connection && event.connection.name;
  const user = event.user || {};
  const meta = user.app_metadata || {};
  const flagged = meta.require_mfa === true;
  const email = typeof user.email === "string" ? user.email : "";
  const customer = connection === "google-oauth2" && email.endsWith("@customer.example");
  const exempt = customer && !flagged;
  const corp = connection === "corp-ad" && !inOffice(event.request && event.request.ip);
  const org = event.organization && event.organization.name;
  const geo = event.request && event.request.geoip;
  const staff = (org === "acme-internal" || org === "acme-staff") && !(geo && geo.continentCode === "EU");
  if ((corp && !exempt) || flagged || (staff && !exempt)) {
    api.multifactor.enable("any", { allowRememberBrowser: false });
  }
};
