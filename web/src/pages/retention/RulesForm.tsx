// The rule fields shared by the global policy's and the overrides' edit dialogs.
import { Checkbox } from "../../components/Checkbox";
import { TextField } from "../../components/TextField";
import { draftErrors, type RulesDraft } from "./rules";

export function RulesForm({ draft, onChange, showErrors }: { draft: RulesDraft; onChange: (draft: RulesDraft) => void; showErrors: boolean }) {
  const errors = showErrors ? draftErrors(draft) : {};
  const set = (patch: Partial<RulesDraft>) => onChange({ ...draft, ...patch });
  return (
    <fieldset className="retention-rules">
      <legend>Rules</legend>
      <Checkbox label="Delete images not pulled for a number of days" checked={draft.notPulled} onChange={(notPulled) => set({ notPulled })} />
      {draft.notPulled && (
        <TextField label="Days without a pull" inputMode="numeric" value={draft.notPulledForDays} onChange={(notPulledForDays) => set({ notPulledForDays })} error={errors.notPulledForDays} />
      )}
      <Checkbox label="Delete images untagged for a number of days" checked={draft.untagged} onChange={(untagged) => set({ untagged })} />
      {draft.untagged && (
        <TextField label="Days untagged" inputMode="numeric" value={draft.untaggedForDays} onChange={(untaggedForDays) => set({ untaggedForDays })} error={errors.untaggedForDays} />
      )}
      <Checkbox label="Keep only the newest images of each repository" checked={draft.keep} onChange={(keep) => set({ keep })} />
      {draft.keep && <TextField label="Images to keep" inputMode="numeric" value={draft.keepNewest} onChange={(keepNewest) => set({ keepNewest })} error={errors.keepNewest} />}
      <TextField
        label="Exempt tags"
        value={draft.exemptTags}
        onChange={(exemptTags) => set({ exemptTags })}
        hint="A comma-separated list of tags; * matches any characters (e.g. latest, *prod*). Images with one of them are never deleted."
      />
    </fieldset>
  );
}
