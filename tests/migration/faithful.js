// Written for the tests: an Action that decides exactly as faithful.mfapolicy,
// using every decision call of the api.
exports.onExecutePostLogin = async (event, api) => {
  const geo = event.request && event.request.geoip;
  const country = geo ? geo.countryCode : undefined;
  if (country === "KP") {
    api.access.deny("embargo");
    return;
  }
  const roles = (event.authorization && event.authorization.roles) || [];
  const connection = event.connection ? event.connection.name : undefined;
  if (roles.includes("admin")) {
    api.authentication.challengeWith({ type: "otp" });
    api.authentication.enrollWithAny([{ type: "webauthn-roaming" }, { type: "webauthn-platform" }]);
    return;
  }
  if (connection === "corp-ad") {
    api.multifactor.enable("guardian", { allowRememberBrowser: true });
    return;
  }
  const enrolled = (event.user && event.user.multifactor) || [];
  if (connection === "partners" && enrolled.length === 0) {
    api.authentication.enrollWith({ type: "otp" });
    return;
  }
  if (connection === "vendors") {
    api.authentication.challengeWithAny([{ type: "otp" }, { type: "phone" }]);
    return;
  }
  if (connection === "google-oauth2") {
    api.multifactor.enable("none");
  }
};
