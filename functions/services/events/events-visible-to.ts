import { and, inArray, type SQL } from "drizzle-orm";
import { events } from "../../db/schema/index.ts";
import type { Principal } from "../../deps.ts";
import { roleAllows } from "../../security/permissions.ts";
import { EVENT_KINDS, type EventAudience } from "./event-kinds.ts";

/** What of a principal decides which events it may see: its role, and its sites when scoped. */
export type EventReader = Pick<Principal, "role" | "siteRoles">;

/** The kinds `reader` may receive: those whose audience its role reaches. */
export function kindsVisibleTo(reader: EventReader): string[] {
  return Object.entries(EVENT_KINDS)
    .filter(([, kind]) => {
      const audience: EventAudience = "audience" in kind ? kind.audience : "read";
      return audience !== "none" && roleAllows(reader.role, audience);
    })
    .map(([name]) => name);
}

/**
 * The one filter of the events a principal may see, for the live stream and the event list
 * alike: the kinds its role reaches and, for a site-scoped user, events at their sites only (an
 * event at no site is hub-wide news, kept from them as the attention strip keeps it).
 */
export function eventsVisibleTo(reader: EventReader): SQL {
  const kinds = inArray(events.kind, kindsVisibleTo(reader));
  const sites = reader.siteRoles?.map((r) => r.siteId);
  if (!sites) return kinds;
  return and(kinds, inArray(events.siteId, sites.length > 0 ? sites : [-1])) as SQL;
}
