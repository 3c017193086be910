// Values of the data model that every layer names, kept free of imports so pure modules (rbac,
// validation) can use them without pulling in the database driver.

/** The nil uuid: Coder's "no organization" / "default organization" marker. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
