import { MemoryDriver } from "../../src/storage/drivers/memory.js";
import { driverSuite } from "./driver-suite.js";

driverSuite("memory", async () => new MemoryDriver());
