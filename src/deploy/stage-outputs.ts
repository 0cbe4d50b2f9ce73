import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { errorName } from '../adapters/aws/aws-errors.js';
import { servingStackName, statefulStackName } from '../shared/stack-outputs.js';

/** A stage's stacks are missing, or lack an output this version of the tools reads. */
export class StageOutputsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StageOutputsError';
  }
}

/**
 * The named outputs of a deployed stage (`src/shared/stack-outputs.ts`), from both of its stacks,
 * read with CloudFormation `DescribeStacks` and the caller's credentials and region.
 */
export async function stageOutputs(
  stage: string,
  client: CloudFormationClient = new CloudFormationClient({}),
): Promise<Readonly<Record<string, string>>> {
  const outputs: Record<string, string> = {};
  for (const stackName of [statefulStackName(stage), servingStackName(stage)]) {
    let stacks;
    try {
      ({ Stacks: stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName })));
    } catch (error) {
      if (errorName(error) === 'ValidationError') {
        const region = await client.config.region();
        throw new StageOutputsError(
          `Stage '${stage}' is not deployed in ${region}: stack ${stackName} does not exist. ` +
            `Deploy it with npx cdk deploy -c stage=${stage} --all, or use the region it is deployed in (AWS_REGION).`,
          { cause: error },
        );
      }
      throw error;
    }
    for (const output of stacks?.[0]?.Outputs ?? []) {
      if (output.OutputKey && output.OutputValue !== undefined)
        outputs[output.OutputKey] = output.OutputValue;
    }
  }
  return outputs;
}

/** One named output of a deployed stage. */
export async function stageOutput(
  stage: string,
  key: string,
  client?: CloudFormationClient,
): Promise<string> {
  const value = (await stageOutputs(stage, client))[key];
  if (value === undefined) {
    throw new StageOutputsError(
      `Stage '${stage}' has no output ${key}: it was deployed by an older version; deploy it again with ` +
        `npx cdk deploy -c stage=${stage} --all.`,
    );
  }
  return value;
}
