import { useState } from "react";
import { api } from "../../api/client";
import { navigate } from "../../app/router";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { toast } from "../../components/toast";
import { useCan } from "../../session/session";
import { repositoryApi } from "./names";

/** The "Delete repository" button, for those who may; the name must be typed to confirm. */
export function DeleteRepository({ name }: { name: string }) {
  const canDelete = useCan("DeleteContainerRepository", { repository: name });
  const [confirming, setConfirming] = useState(false);
  if (!canDelete) return null;
  return (
    <>
      <Button variant="danger" onClick={() => setConfirming(true)}>Delete repository</Button>
      {confirming && (
        <ConfirmDialog
          title={`Delete ${name}?`}
          confirmLabel="Delete repository"
          typeToConfirm={name}
          danger
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            await api.delete(repositoryApi(name));
            toast(`Deleted ${name}`);
            navigate("/repositories");
          }}
        >
          <p>Every image and tag of {name} is deleted. Clients pulling from it fail from now on. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
