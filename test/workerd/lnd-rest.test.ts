import { describe, inject } from "vitest";
import "../fixtures/provided-context.ts";
import { backendContract } from "../fixtures/backend-contract.ts";

describe("lnd-rest backend inside workerd, against the simulator over loopback", () => backendContract(() => inject("faultSim")));
