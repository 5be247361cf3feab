import { OpenAPIHono } from "@hono/zod-openapi";
import { auditRoutes } from "./audit/routes";
import { alertRoutes, honeytokenRoutes } from "./detection/routes";
import { mountDocs } from "./docs/routes";
import { healthRoutes } from "./health/routes";
import type { AppEnv } from "./http/app-env";
import { requireBindings } from "./http/bindings";
import { limitBody } from "./http/body-limit";
import { handleError, handleNotFound } from "./http/error-handler";
import { securityHeaders } from "./http/security-headers";
import { keyRoutes } from "./keys/routes";
import { employeeRoutes, policyRoutes } from "./limits/routes";
import { principalRoutes } from "./principal/routes";
import { recordRoutes } from "./records/routes";
import { revealRoutes } from "./reveals/routes";
import { uiRoutes } from "./ui/routes";
import { wellKnownRoutes } from "./well-known/routes";

export const app = new OpenAPIHono<AppEnv>();

app.onError(handleError);
app.notFound(handleNotFound);
app.use("*", securityHeaders());
app.use("/v1/*", requireBindings());
app.use("/v1/*", limitBody());

app.route("/", healthRoutes);
app.route("/", wellKnownRoutes);
app.route("/v1/records", recordRoutes);
app.route("/v1/reveals", revealRoutes);
app.route("/v1/audit", auditRoutes);
app.route("/v1/policies", policyRoutes);
app.route("/v1/employees", employeeRoutes);
app.route("/v1/alerts", alertRoutes);
app.route("/v1/honeytokens", honeytokenRoutes);
app.route("/v1/keys", keyRoutes);
app.route("/v1/principal", principalRoutes);
mountDocs(app);
app.route("/", uiRoutes);
