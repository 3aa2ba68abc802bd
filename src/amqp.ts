/**
 * Weft's AMQP (RabbitMQ) adapter on `amqplib`: publish with confirms, and a trigger that starts a run per message. A separate entry point so that applications that do not use it never load `amqplib`.
 *
 * @packageDocumentation
 */
export {}
