import { describe } from "vitest";
import { meterStreamContract } from "../fixtures/meter-stream-contract.ts";

/** The metered body in Node's web streams (test/workerd/meter-stream.test.ts runs the same contract inside workerd). */
describe("meterStream in Node", () => meterStreamContract());
