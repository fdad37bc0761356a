// The admin API as a serving process mounts it: the route table over the admin services, HTTP
// Basic (and, when given, console sessions) for authentication.
import type { Logger } from "pino";
import type { AdminServices } from "../admin/services.js";
import type { TokenAuthorizer } from "../auth/token-authorizer.js";
import type { ExtraHandler } from "../server/http.js";
import { AdminApi, type AdminApiOptions } from "./admin-api.js";
import { ApiAuthentication, type SessionAuthenticator } from "./authenticate.js";
import { apiHandler } from "./http.js";

export interface ServedApiOptions extends AdminApiOptions {
  log: Logger;
  /** the console session of a request (src/auth/sessions.ts), when sessions are on */
  session?: SessionAuthenticator;
}

export function servedAdminApi(services: AdminServices, authorizer: Pick<TokenAuthorizer, "identify">, options: ServedApiOptions): ExtraHandler {
  return apiHandler(new AdminApi(services, options), new ApiAuthentication(authorizer, options.session));
}
