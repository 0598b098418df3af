import { benchVerification } from "../bench/verification.ts"; await benchVerification();
