import { registryHost } from "../../app/registry-host";
import { EmptyState } from "../../components/EmptyState";
import { useSession } from "../../session/session";
import { Command } from "./Command";

/** What a newcomer with no repository yet does next, with their real host, namespace and user. */
export function PushFirstImage() {
  const { tenancy, user } = useSession();
  const host = registryHost();
  const target = `${host}/${tenancy}/my-app:1.0`;
  return (
    <EmptyState title="Push your first image">
      <p>Sign in with Docker using an auth token (Account → Auth tokens), then tag and push an image:</p>
      <Command command={`docker login ${host} -u ${user}`} label="Copy login command" />
      <Command command={`docker tag my-app:1.0 ${target}`} label="Copy tag command" />
      <Command command={`docker push ${target}`} label="Copy push command" />
      <p>The repository is created by the first push, private unless you make it public.</p>
    </EmptyState>
  );
}
