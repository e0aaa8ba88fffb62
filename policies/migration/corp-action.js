// An existing post-login Action, written for the migration example
// (docs/migration.md): MFA for the corporate directory off the office
// network, deny from embargoed countries. It has the bugs such Actions
// often have: it crashes when `geoip` is absent and treats every IPv6
// client as off the office network.
const OFFICE_PREFIX = "203.0.113.";
const EMBARGOED = ["KP", "IR", "SY", "CU"];

exports.onExecutePostLogin = async (event, api) => {
  const country = event.request.geoip.countryCode; // throws without geoip
  if (EMBARGOED.includes(country)) {
    api.access.deny("This service is not available in your region.");
    return;
  }
  if (event.connection.name === "corp-ad" && !event.request.ip.startsWith(OFFICE_PREFIX)) {
    api.multifactor.enable("any", { allowRememberBrowser: false });
    return;
  }
  api.multifactor.enable("none");
};
