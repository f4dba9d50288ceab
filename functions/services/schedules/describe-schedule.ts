import { Cron } from "croner";

export type SchedulePreview =
  | { ok: true; words: string; next: Date[]; zone: string }
  | { ok: false; message: string }
  | { ok: true; words: "manual"; next: []; zone: string };

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const pad = (n: string) => n.padStart(2, "0");
const isNum = (v: string | undefined): v is string => v !== undefined && /^\d+$/.test(v);

/** The common five-field shapes in words; anything else is shown as its next runs only. */
function inWords(expr: string): string {
  const [min, hour, dom, month, dow] = expr.trim().split(/\s+/);
  const at = isNum(min) && isNum(hour) ? `at ${pad(hour)}:${pad(min)}` : null;
  if (expr.trim().split(/\s+/).length !== 5) return `on the schedule "${expr}"`;
  if (min === "*" && hour === "*") return "every minute";
  if (isNum(min) && hour === "*" && dom === "*" && month === "*" && dow === "*")
    return `every hour at minute ${min}`;
  if (at && dom === "*" && month === "*") {
    if (dow === "*") return `every day ${at}`;
    if (dow === "1-5") return `every weekday (Monday to Friday) ${at}`;
    if (isNum(dow) && DAYS[Number(dow) % 7]) return `every ${DAYS[Number(dow) % 7]} ${at}`;
  }
  if (at && isNum(dom) && month === "*" && dow === "*") return `on day ${dom} of every month ${at}`;
  return `on the schedule "${expr}"`;
}

/**
 * A job's schedule in words with its next runs, the way the scheduler will compute them, or
 * what is wrong with it in an operator's words. An empty schedule means the job runs by hand.
 * `zone` is the hub's schedule zone (getScheduleZone): the one the scheduler reads it in.
 */
export function describeSchedule(
  expr: string | undefined,
  now: Date,
  zone: string,
  count = 3,
): SchedulePreview {
  const text = (expr ?? "").trim();
  if (text === "") return { ok: true, words: "manual", next: [], zone };
  if (text.length > 128) return { ok: false, message: "A schedule is at most 128 characters." };
  let cron: Cron;
  try {
    cron = new Cron(text, { paused: true, timezone: zone });
  } catch {
    return {
      ok: false,
      message: `"${text}" is not a schedule. Write five fields: minute hour day-of-month month day-of-week, e.g. "0 22 * * *" for every day at 22:00.`,
    };
  }
  const next = cron.nextRuns(count, now);
  if (next.length === 0)
    return { ok: false, message: `"${text}" never runs again: no future time matches it.` };
  return { ok: true, words: inWords(text), next, zone };
}
