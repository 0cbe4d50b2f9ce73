import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { JobsStackOutput, jobsStackName, statefulStackName } from '../shared/jobs.js';

/** What the CLI needs of a deployed stage, from the outputs of its jobs and stateful stacks. */
export interface StageJobResources {
  readonly stage: string;
  readonly region: string;
  readonly documentsBucket: string;
  readonly documentsPrefix: string;
  readonly batchPrefix: string;
  readonly sourceName: string;
  readonly jobsTable: string;
  readonly ingestionStateMachineArn: string;
  readonly batchStateMachineArn: string;
  readonly embeddingModelId: string;
  readonly pineconeIndexName: string;
  readonly pineconeHost?: string;
  readonly pineconeNamespace: string;
  readonly pineconeApiKeySecret: string;
}

/** The stage has no jobs stack in this account and region, or the stack lacks an output. */
export class StageNotFoundError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The outputs of one stack, by key; StageNotFoundError names what to deploy when it is missing. */
async function stackOutputs(
  client: CloudFormationClient,
  stackName: string,
  stage: string,
): Promise<Output[]> {
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    return Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    const region = await client.config.region().catch(() => 'your default region');
    throw new StageNotFoundError(
      `Cannot read the stack ${stackName} in ${region} (${(error as Error).name}): deploy the stage with ` +
        `\`npx cdk deploy -c stage=${stage} --all\`, or pass --region and check your AWS credentials.`,
      { cause: error },
    );
  }
}

/**
 * Reads the outputs of the stage's jobs stack (and the jobs table's name from its stateful stack)
 * with the caller's credentials: the only place the CLI learns where a stage keeps its bucket,
 * tables, index and state machines.
 */
export async function stageJobResources(
  stage: string,
  options: { readonly region?: string; readonly client?: CloudFormationClient } = {},
): Promise<StageJobResources> {
  const client = options.client ?? new CloudFormationClient(options.region ? { region: options.region } : {});
  const jobsStack = jobsStackName(stage);
  const statefulStack = statefulStackName(stage);
  const [jobs, stateful] = [
    await stackOutputs(client, jobsStack, stage),
    await stackOutputs(client, statefulStack, stage),
  ];
  const value = (outputs: Output[], key: string): string | undefined =>
    outputs.find((output) => output.OutputKey === key)?.OutputValue;
  const required = (key: string, outputs = jobs, stackName = jobsStack): string => {
    const found = value(outputs, key);
    if (found === undefined)
      throw new StageNotFoundError(
        `The stack ${stackName} has no output ${key}: deploy the stage again with this version.`,
      );
    return found;
  };
  const host = value(jobs, JobsStackOutput.pineconeHost);
  return {
    stage,
    region: await client.config.region(),
    documentsBucket: required(JobsStackOutput.documentsBucket),
    documentsPrefix: required(JobsStackOutput.documentsPrefix),
    batchPrefix: required(JobsStackOutput.batchPrefix),
    sourceName: required(JobsStackOutput.sourceName),
    jobsTable: required(JobsStackOutput.jobsTable, stateful, statefulStack),
    ingestionStateMachineArn: required(JobsStackOutput.ingestionStateMachine),
    batchStateMachineArn: required(JobsStackOutput.batchStateMachine),
    embeddingModelId: required(JobsStackOutput.embeddingModelId),
    pineconeIndexName: required(JobsStackOutput.pineconeIndexName),
    ...(host !== undefined && host !== '' && { pineconeHost: host }),
    pineconeNamespace: required(JobsStackOutput.pineconeNamespace),
    pineconeApiKeySecret: required(JobsStackOutput.pineconeApiKeySecret),
  };
}
