/** `npm run bench`: every benchmark, printed as a table. Nothing here is asserted. */
import { benchBuilds, benchBundle } from "./bundle.ts";
import { benchChallengeIssuance } from "./challenge-issuance.ts";
import { benchInvoicePool } from "./invoice-pool.ts";
import { benchMeteredStreams } from "./metered-streams.ts";
import { benchMetering } from "./metering.ts";
import { benchPaidPassCpu } from "./paid-pass-cpu.ts";
import { benchStartup } from "./startup.ts";
import { benchThroughput } from "./throughput.ts";
import { benchVerification } from "./verification.ts";

await benchVerification();
await benchThroughput();
await benchPaidPassCpu();
await benchChallengeIssuance();
await benchInvoicePool();
await benchMeteredStreams();
await benchMetering();
benchBundle();
benchBuilds();
await benchStartup();
