// Lets better-auth 1.7.25 create its own schema (getMigrations -> runMigrations) with the plugins
// twoFactor, username, phoneNumber and admin, in SQLite and in a throw-away PostgreSQL database, and
// writes the resulting DDL to schema-sqlite.sql and schema-postgres.sql.
//
//   node dump-schema.mjs            # PostgreSQL at postgres://postgres@127.0.0.1:5432 (env PG_ADMIN_URL)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { getMigrations } from "better-auth/db/migration";
import { plugins } from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const secret = "schema-dump-secret-not-used-for-anything-0123456789";
const adminUrl = process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function migrate(database) {
  const { toBeCreated, toBeAdded, runMigrations } = await getMigrations({
    database,
    secret,
    emailAndPassword: { enabled: true },
    plugins: plugins(),
    logger: { level: "error" },
  });
  await runMigrations();
  return { created: toBeCreated.map((t) => t.table), added: toBeAdded.map((t) => t.table) };
}

// --- SQLite ---------------------------------------------------------------------------------
{
  const dir = mkdtempSync(join(tmpdir(), "ba-schema-"));
  const path = join(dir, "schema.sqlite");
  const db = new Database(path);
  const r = await migrate(db);
  const rows = db
    .prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, tbl_name, name")
    .all();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  const header = `-- better-auth 1.7.25 schema for SQLite, created by better-auth's own getMigrations().runMigrations()\n-- plugins: twoFactor(), username(), phoneNumber(), admin(); emailAndPassword enabled\n-- regenerate: node dump-schema.mjs\n\n`;
  writeFileSync(join(here, "schema-sqlite.sql"), header + rows.map((r) => r.sql + ";").join("\n\n") + "\n");
  console.log(`sqlite: created ${r.created.join(", ")}`);
}

// --- PostgreSQL -----------------------------------------------------------------------------
{
  const dbName = `authferry_schema_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  try {
    const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
    const r = await migrate(pool);
    console.log(`postgres: created ${r.created.join(", ")}`);

    // Column-level truth from information_schema, then indexes and constraints.
    const cols = await pool.query(`
      SELECT table_name, column_name, data_type, is_nullable, column_default
      FROM information_schema.columns WHERE table_schema = 'public'
      ORDER BY table_name, ordinal_position`);
    const idx = await pool.query(`
      SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
      ORDER BY tablename, indexname`);
    const cons = await pool.query(`
      SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace
      ORDER BY 1, 2`);
    await pool.end();

    let out = `-- better-auth 1.7.25 schema for PostgreSQL, created by better-auth's own getMigrations().runMigrations()\n-- plugins: twoFactor(), username(), phoneNumber(), admin(); emailAndPassword enabled\n-- regenerate: node dump-schema.mjs\n\n`;
    try {
      const dump = execFileSync("pg_dump", ["--schema-only", "--no-owner", "--no-privileges", url.toString()], { encoding: "utf8" });
      // Drop pg_dump's per-run random \restrict key and the version banner so the file is stable.
      out += "-- ===== pg_dump --schema-only --no-owner --no-privileges =====\n";
      out += dump
        .split("\n")
        .filter((l) => !/^\\(un)?restrict /.test(l) && !/^-- Dumped (from|by) /.test(l))
        .join("\n");
    } catch (e) {
      out += `-- pg_dump not available (${e.code ?? e.message}); information_schema only\n`;
    }
    out += "\n-- ===== information_schema.columns (table | column | type | nullable | default) =====\n";
    for (const c of cols.rows) out += `-- ${c.table_name} | ${c.column_name} | ${c.data_type} | ${c.is_nullable} | ${c.column_default ?? ""}\n`;
    out += "\n-- ===== pg_indexes =====\n";
    for (const i of idx.rows) out += `-- ${i.indexdef};\n`;
    out += "\n-- ===== pg_constraint =====\n";
    for (const c of cons.rows) out += `-- ${c.tbl} ${c.conname}: ${c.def}\n`;
    writeFileSync(join(here, "schema-postgres.sql"), out);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}
