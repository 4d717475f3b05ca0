/**
 * Table rows as the functions read them with postgres.js, typed from the generated
 * `Database` types: pick the columns a query selects; timestamptz columns arrive as
 * `Date` and bigint (int8) columns as text.
 */
import type { Database } from './database.types.ts';

type Tables = Database['public']['Tables'];
export type TableName = keyof Tables;
export type Row<T extends TableName> = Tables[T]['Row'];

type Keep<R, C extends keyof R, V> = null extends R[C] ? V | null : V;

/** Columns `K` of table `T`; `Dates` read as Date, `Bigints` as string. */
export type DbRow<T extends TableName, K extends keyof Row<T>, Dates extends K = never, Bigints extends K = never> = {
  [C in K]: C extends Dates ? Keep<Row<T>, C, Date> : C extends Bigints ? Keep<Row<T>, C, string> : Row<T>[C];
};
