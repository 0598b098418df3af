/**
 * The text forms of L402's bytes (hex, and base64 in every alphabet clients
 * use): read leniently, written canonically, through the code's one codec
 * module (src/bytes.ts).
 */
export { fromBase64Lenient, fromHex, toBase64, toHex } from "../bytes.ts";
