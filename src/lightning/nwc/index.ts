export { publicKeyOf, type NostrEvent } from "./event.ts";
export { nwcBackend, nwcCallBackend, type NwcBackendConfig } from "./nwc-backend.ts";
export { heldSocket, nwcClient, perCallSockets, type HeldSocket, type NwcCall, type SocketSource } from "./nwc-client.ts";
export { fetchUpgradeWebSocket, platformWebSocket, runtimeWebSocket, type WebSocketFactory, type WebSocketLike } from "./relay-socket.ts";
export { parseNwcUri, type NwcConnection } from "./uri.ts";
