/** `npm run bench`: every benchmark, printed as a table. Nothing here is asserted. */
import { benchVerification } from "./verification.ts";

await benchVerification();
