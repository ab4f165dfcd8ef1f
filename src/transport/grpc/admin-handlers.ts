import type { AdminUser as CoreAdminUser } from '../../core/admin/admin-user.js';
import type { AdminCore } from '../../core/auth-core.js';
import { AdminServiceService, type AdminUser } from '../../gen/auth/v1/admin.js';
import { toUser } from './handlers.js';
import { grpcService, type GrpcService } from './service.js';

/** auth.v1.AdminService: each RPC a thin translation to the operators' use cases. Served on the admin port only. */
export function adminGrpcService(admin: AdminCore): GrpcService {
  return grpcService(AdminServiceService, {
    getUser: async (request) => ({ user: toAdminUser(await admin.getUser(request.userId)) }),
    findUser: async (request) => ({ user: toAdminUser(await admin.findUser(request)) }),
    disableUser: async (request) => {
      const { user, revoked } = await admin.disableUser(request.userId);
      return { user: toAdminUser(user), revoked };
    },
    enableUser: async (request) => ({ user: toAdminUser(await admin.enableUser(request.userId)) }),
    deleteUser: async (request) => ({ revoked: await admin.deleteUser(request.userId) }),
    revokeUserSessions: async (request) => ({ revoked: await admin.revokeUserSessions(request.userId) }),
  });
}

function toAdminUser(user: CoreAdminUser): AdminUser {
  return { ...toUser(user), disabled: user.disabled, sessions: user.sessions };
}
