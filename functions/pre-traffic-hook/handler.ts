import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { checkVersionReadiness } from '../../src/deploy/readiness-invoke.js';
import { EnvVar } from '../../src/shared/env.js';

const lambda = new LambdaClient({});
const codedeploy = new CodeDeployClient({});

/** What CodeDeploy passes a lifecycle hook. */
interface LifecycleEvent {
  readonly DeploymentId: string;
  readonly LifecycleEventHookExecutionId: string;
}

/**
 * CodeDeploy's BeforeAllowTraffic hook: runs the deep readiness check on the new function version
 * before the `live` alias sends it any traffic, and fails the deployment (which rolls back) when a
 * backend is misconfigured or unreachable. The canary's alarms cannot catch that: without traffic
 * they have no data.
 */
export const handler = async (event: LifecycleEvent): Promise<void> => {
  const target = process.env[EnvVar.preTrafficTarget];
  let status: 'Succeeded' | 'Failed' = 'Failed';
  try {
    if (!target)
      throw new Error(`${EnvVar.preTrafficTarget} is not set: the hook does not know which version to check`);
    const verdict = await checkVersionReadiness(lambda, target, `pre-traffic-${event.DeploymentId}`);
    console.log(JSON.stringify({ message: 'readiness of the new version', target, ...verdict }));
    status = verdict.ready ? 'Succeeded' : 'Failed';
  } catch (error) {
    console.error(JSON.stringify({ message: 'readiness check failed to run', error: String(error) }));
  } finally {
    await codedeploy.send(
      new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId: event.DeploymentId,
        lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
        status,
      }),
    );
  }
};
