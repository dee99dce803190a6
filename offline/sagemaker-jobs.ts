import { ACCOUNT, REGION } from './account';

type Json = Record<string, any>;
export type JobKind = 'TrainingJob' | 'ProcessingJob';

const sdkError = (name: string, message: string) => Object.assign(new Error(message), { name });

/**
 * SageMaker's jobs by name, as the offline stand-ins keep them: a name is taken for good once a
 * create call made the job (CreateTrainingJob/CreateProcessingJob refuse it again with
 * ResourceInUse), and Describe*Job answers for a job that does not exist with a ValidationException.
 * Errors carry the names and messages Step Functions reports for them.
 */
export class SageMakerJobs {
  constructor(private readonly accountId: string = ACCOUNT) {}

  private readonly jobs = new Map<string, { description: Json; inProgress: number }>();

  private static key(kind: JobKind, name: string): string {
    return `${kind}/${name}`;
  }

  /** Throws as SageMaker does when a create call reuses a job name. */
  claim(kind: JobKind, name: string): void {
    if (!this.jobs.has(SageMakerJobs.key(kind, name))) return;
    const what = kind === 'TrainingJob' ? 'Training job' : 'Processing job';
    throw sdkError(
      'SageMaker.AmazonSageMakerException',
      `${what} names must be unique within an AWS account and region, and a ${what.toLowerCase()} with this name already exists (${name}) (Service: AmazonSageMaker; Status Code: 400; Error Code: ResourceInUse)`,
    );
  }

  /** Keeps what Describe*Job answers for the job; `inProgress` answers InProgress that many times first. */
  record(kind: JobKind, description: Json, inProgress = 0): void {
    this.jobs.set(SageMakerJobs.key(kind, description[`${kind}Name`]), { description, inProgress });
  }

  describe(kind: JobKind, name: string): Json {
    const job = this.jobs.get(SageMakerJobs.key(kind, name));
    if (!job) {
      // Training: aws/aws-sdk#165. Processing: the text emulators (moto) give; AWS does not document either.
      const message =
        kind === 'TrainingJob'
          ? 'Requested resource not found.'
          : `Could not find processing job 'arn:aws:sagemaker:${REGION}:${this.accountId}:processing-job/${name}'.`;
      throw sdkError('SageMaker.SageMakerException', `${message} (Service: SageMaker; Status Code: 400; Error Code: ValidationException)`);
    }
    if (job.inProgress > 0) {
      job.inProgress--;
      return { ...job.description, [`${kind}Status`]: 'InProgress' };
    }
    return job.description;
  }
}
