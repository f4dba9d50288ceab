import { inArray, type SQL } from "drizzle-orm";
import { events } from "../../db/schema/index.ts";
import type { Principal } from "../../deps.ts";
import { roleAllows } from "../../security/permissions.ts";
import { EVENT_KINDS, type EventAudience } from "./event-kinds.ts";

/** What of a principal decides which events it may see; a site scope joins the role here. */
export type EventReader = Pick<Principal, "role">;

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
 * alike: by kind today; a site-scoped role adds its `events.site_id` condition here, once.
 */
export function eventsVisibleTo(reader: EventReader): SQL {
  return inArray(events.kind, kindsVisibleTo(reader));
}
