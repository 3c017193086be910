// Renders an rbac RowFilter as a SQL predicate for one table, with native uuid comparisons so the
// planner can use indexes (what Coder moved to in 2026). The filter is data computed from the
// compiled subject in microseconds; nothing is evaluated per row in JavaScript.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { RowFilter } from '../rbac/index.js';

export interface AuthzColumns {
  /** The row's organization column (absent: rows are never in an organization, e.g. users). */
  org?: string;
  /** The row's owning-user column (absent: rows have no owner, e.g. organizations). */
  owner?: string;
  /** How "in no organization" is stored in `org`: NULL or the nil uuid (audit_logs). */
  noOrg?: 'null' | 'nil-uuid';
}

const FALSE = sql<SqlBool>`false`;

export function authorizedRows(filter: RowFilter, cols: AuthzColumns): RawBuilder<SqlBool> {
  if (filter.all) return sql<SqlBool>`true`;
  const terms: RawBuilder<SqlBool>[] = [];
  const org = cols.org ? sql.ref(cols.org) : undefined;
  const owner = cols.owner ? sql.ref(cols.owner) : undefined;
  if (org && filter.orgIds.length) terms.push(sql<SqlBool>`${org} = ANY(${[...filter.orgIds]}::uuid[])`);
  if (org && owner && filter.memberOrgIds.length) {
    terms.push(sql<SqlBool>`(${owner} = ${filter.ownerId}::uuid AND ${org} = ANY(${[...filter.memberOrgIds]}::uuid[]))`);
  }
  if (owner && filter.userLevel) {
    const noOrg = !org
      ? sql<SqlBool>`true`
      : cols.noOrg === 'nil-uuid'
        ? sql<SqlBool>`${org} = '00000000-0000-0000-0000-000000000000'::uuid`
        : sql<SqlBool>`${org} IS NULL`;
    terms.push(sql<SqlBool>`(${owner} = ${filter.ownerId}::uuid AND ${noOrg})`);
  }
  if (terms.length === 0) return FALSE;
  return sql<SqlBool>`(${sql.join(terms, sql` OR `)})`;
}
