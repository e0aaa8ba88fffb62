exports.onExecutePostLogin = async (event, api) => {
  if (event.connection && event.connection.name === "slow") {
    await new Promise(() => {}); // never settles
  }
  api.multifactor.enable("any");
};
