import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../functions/config.ts";

describe("hub configuration", () => {
  it("waits 10 minutes for a silent agent by default and takes whole or fractional minutes from 1 to 1440", () => {
    expect(parseConfig({}).AGENT_SILENCE_MINUTES).toBe(10);
    expect(parseConfig({ AGENT_SILENCE_MINUTES: "2.5" }).AGENT_SILENCE_MINUTES).toBe(2.5);
    expect(parseConfig({ AGENT_SILENCE_MINUTES: "" }).AGENT_SILENCE_MINUTES).toBe(10);
  });

  it("refuses an agent silence that is not a number of minutes from 1 to 1440, naming the variable", () => {
    for (const value of ["0", "0.5", "2000", "ten"]) {
      const parse = () => parseConfig({ AGENT_SILENCE_MINUTES: value });
      expect(parse, value).toThrow(ConfigError);
      expect(parse, value).toThrow(/AGENT_SILENCE_MINUTES/);
    }
  });
});
