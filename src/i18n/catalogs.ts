import { en } from "./en";
import type { Locale } from "./locales";
import type { Message } from "./message";
import { zhCN } from "./zh-CN";

/** A key of the catalogs: the English catalog names them all. */
export type MessageKey = keyof typeof en;

/** Every catalog, by locale: one source for the server's pages and their scripts. */
export const catalogs: Record<Locale, Record<MessageKey, Message>> = { en, "zh-CN": zhCN };
