// The node agent talks to dockerd over its Unix socket only. docker-modem loads ssh2 for ssh:// daemons, and ssh2
// pulls native addons esbuild cannot bundle, so the agent's bundle gets this stand-in instead.
class Client {
  constructor() {
    throw new Error('Docker over SSH is not supported by the Zeroplane node agent; use the Unix socket');
  }
}
module.exports = { Client };
