exports.onExecutePostLogin = async (event, api) => {
  if (event.connection && event.connection.name === "slow") {
    await new Promise(() => {}); // never settles
  }
  if (event.connection && event.connection.name === "loop") {
    for (;;) {} // never returns, before any await
  }
  api.multifactor.enable("any");
};
