export { mcpEndpoint, type McpEndpoint, type McpEndpointOptions, type RunRequest } from "./endpoint.ts";
export { CREDENTIAL_KEY } from "./tool-request.ts";
export { MAX_ANSWER_BYTES, PAYMENT_REQUIRED_KEY, PAYMENT_RESPONSE_KEY } from "./tool-result.ts";
