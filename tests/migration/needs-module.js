const pad = require("left-pad-not-installed");
exports.onExecutePostLogin = async (event, api) => {
  api.multifactor.enable(pad("any", 3));
};
