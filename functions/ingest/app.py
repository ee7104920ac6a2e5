"""Lambda entry point: S3, SQS (wrapping S3 notifications) and EventBridge events → csvlake."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from csvlake.config import Config
from csvlake.eventbridge import EventBridgePublisher
from csvlake.events import event_refs, is_sqs_event, refs_from_body
from csvlake.ingest import Ingestor
from csvlake.s3 import S3Store

logger = Logger(service="csvlake")
tracer = Tracer(service="csvlake")
metrics = Metrics(namespace="csvlake", service="csvlake")
processor = BatchProcessor(event_type=EventType.SQS)
config = Config.from_env()
publish = EventBridgePublisher(config.event_bus_name) if config.event_bus_name else None
ingest = Ingestor(S3Store(), config, logger, metrics.namespace, publish, tracer.provider.in_subsegment)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    metrics.add_metric(name="Notifications", unit="Count", value=len(event.get("Records", [event])))
    if not is_sqs_event(event):
        return {"results": ingest(event_refs(event), context.get_remaining_time_in_millis)}
    # A batch's time: a message that started late in it and ran out is retried, not rejected.
    budget_ms = context.get_remaining_time_in_millis()

    @tracer.capture_method
    def record_handler(record: SQSRecord) -> list[dict]:
        return ingest(refs_from_body(record.body), context.get_remaining_time_in_millis, budget_ms)

    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
