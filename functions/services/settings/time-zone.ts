import { z } from "zod";

/** The settings row of the hub's time zone: where schedules run and pages show times. */
export const TIME_ZONE_KEY = "display.time-zone";

/** Schedules run in UTC until an admin names a zone: the same on Node and workerd. */
export const DEFAULT_SCHEDULE_ZONE = "UTC";

/** True for a zone name this runtime's Intl knows (IANA names such as Europe/Berlin, and UTC). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Null clears the setting: pages then show each browser's own zone and schedules run in UTC. */
export const timeZoneInput = z.object({
  timeZone: z
    .string()
    .trim()
    .max(64, "is at most 64 characters")
    .superRefine((name, check) => {
      if (name !== "" && !isTimeZone(name))
        check.addIssue({
          code: "custom",
          message: `is not a time zone this hub knows ("${name}"): give an IANA name such as Europe/Berlin, America/New_York or UTC`,
        });
    })
    .transform((name) => (name === "" ? null : name))
    .nullable(),
});

export type TimeZoneSetting = { timeZone: string | null };
