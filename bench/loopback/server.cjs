'use strict';
// The LoopBack 3 reference: the stock User and AccessToken models with ACLs on, as a scaffolded app
// has them, wired up in code instead of loopback-boot's JSON files. On the memory connector for the
// REST benchmark; on MongoDB (loopback-connector-mongodb) when MONGODB_URL is set, which is how the
// importer's tests get real LoopBack data.
// Env: PORT, BCRYPT_COST, LOOPBACK_BCRYPT=bcryptjs|bcrypt, MONGODB_URL, and the User settings
// ALLOW_ETERNAL_TOKENS=true, RESTRICT_RESET_PASSWORD_TOKEN_SCOPE=true.
const Module = require('node:module');

// LoopBack's User model tries require('bcrypt') first and falls back to its own dependency,
// bcryptjs. From here Node would find the service's native bcrypt in the root node_modules, so
// the choice is made explicit: bcryptjs is what a LoopBack app gets unless it adds bcrypt itself.
if (process.env.LOOPBACK_BCRYPT !== 'bcrypt') {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (request === 'bcrypt') throw Object.assign(new Error("Cannot find module 'bcrypt'"), { code: 'MODULE_NOT_FOUND' });
    return resolve.call(this, request, ...rest);
  };
}

const loopback = require('loopback');

const app = loopback();
app.set('logoutSessionsOnSensitiveChanges', true);
app.dataSource('db', process.env.MONGODB_URL ? { connector: 'mongodb', url: process.env.MONGODB_URL } : { connector: 'memory' });
for (const model of ['AccessToken', 'ACL', 'RoleMapping', 'Role']) {
  app.model(loopback[model], { dataSource: 'db', public: false });
}
loopback.User.settings.saltWorkFactor = Number(process.env.BCRYPT_COST ?? 10);
loopback.User.settings.allowEternalTokens = process.env.ALLOW_ETERNAL_TOKENS === 'true';
loopback.User.settings.restrictResetPasswordTokenScope = process.env.RESTRICT_RESET_PASSWORD_TOKEN_SCOPE === 'true';
app.model(loopback.User, { dataSource: 'db', public: true });
app.enableAuth({ dataSource: 'db' });
app.use(loopback.token({ model: app.models.AccessToken }));
app.use('/api', loopback.rest());

const bcrypt = Object.keys(require.cache).some((path) => path.includes('/node_modules/bcryptjs/')) ? 'bcryptjs' : 'bcrypt';
const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ msg: 'loopback started', port: server.address().port, bcrypt }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
