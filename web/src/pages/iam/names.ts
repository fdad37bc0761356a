// What the API accepts as a user, group or policy name (src/iam/names.ts), told to the user up front.
export const NAME_HINT = "Letters, digits and _ . @ - (an email address works), starting with a letter or digit; at most 64.";
