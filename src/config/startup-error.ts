/**
 * A backend the configuration names fails its start-up check (storage unreachable, database
 * migrated by a newer Berth, …): the server and the CLI print the one-line message and exit.
 */
export class StartupError extends Error {}
