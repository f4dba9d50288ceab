import { integer } from "drizzle-orm/sqlite-core";

/** Every timestamp in the catalog is epoch milliseconds (UTC). */
export const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });
export const createdAt = () => timestamp("created_at").notNull();
export const updatedAt = () => timestamp("updated_at").notNull();
