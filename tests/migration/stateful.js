// Module state is reused between events (Node 22 on Auth0): the third and
// later logins of the run are denied. Secrets come from --secrets.
let seen = 0;
exports.onExecutePostLogin = async (event, api) => {
  seen += 1;
  console.log("login", seen);
  if (event.secrets.MODE !== "strict") {
    api.multifactor.enable("none");
    return;
  }
  if (seen > 2) {
    api.access.deny("too many");
  }
};
