import { LightningError } from "../../../src/lightning/index.ts";

/** Why reading a node's answer failed (a LightningError's reason), or "answered" when it did not. */
export function failureReason(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    if (error instanceof LightningError) return error.reason;
    throw error;
  }
  return "answered";
}
