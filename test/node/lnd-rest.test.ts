import { afterAll, beforeAll, describe } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { backendContract } from "../fixtures/backend-contract.ts";

let sim: Simulator;
beforeAll(async () => void (sim = await startSimulator()));
afterAll(() => sim.close());

describe("lnd-rest backend in Node, against the simulator", () => backendContract(() => sim));
