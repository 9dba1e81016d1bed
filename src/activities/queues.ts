/**
 * Which task queue each activity module runs on, in the types. A module declares its queue once
 * (`export const xQueue = taskQueues.chatwoot`) and its type as `OnQueue<typeof xQueue, ...>`; the
 * worker registers it on that queue only (activities/index.ts), and workflows proxy it with
 * `proxyOn<XActivities>(options)`, whose options must name the same queue. So a workflow that calls
 * a Chatwoot write through the Intercom proxy, and skips Chatwoot's budget, does not compile.
 * Types only: the workflow bundle imports nothing from here at run time.
 */
import type { taskQueues } from '../config.js';

export type TaskQueueName = (typeof taskQueues)[keyof typeof taskQueues];

declare const runsOn: unique symbol;

/** A module's activities, tagged with the one task queue they run on. */
export type OnQueue<Q extends TaskQueueName, A extends object> = A & { readonly [runsOn]?: Q };

/** Any module's activities type. */
export type QueueTagged = { readonly [runsOn]?: TaskQueueName };

/** The queue an `OnQueue` type was declared with. */
export type QueueOf<M extends QueueTagged> = NonNullable<M[typeof runsOn]>;

/** The activities themselves, without the queue tag. */
export type ActivitiesOf<M> = Omit<M, typeof runsOn>;
