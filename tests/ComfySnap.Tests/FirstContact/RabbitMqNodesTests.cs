using ComfySnap.ServiceDefaults.RabbitMq;

namespace ComfySnap.Tests.FirstContact;

/// <summary>Bus:RabbitMq:Nodes: the broker cluster's node list as the client tries it.</summary>
public sealed class RabbitMqNodesTests
{
    [Fact]
    public void Nodes_alone_make_the_first_node_the_host_and_default_to_the_port()
    {
        var rabbit = new RabbitMqOptions { Port = 5682, Nodes = ["10.0.0.1", "10.0.0.2:5700", "[::1]:5701"] };

        Assert.Equal("10.0.0.1", rabbit.Host);
        Assert.Equal([("10.0.0.1", 5682), ("10.0.0.2", 5700), ("::1", 5701)], rabbit.Endpoints);
        Assert.Equal("10.0.0.1:5682,10.0.0.2:5700,::1:5701", rabbit.Endpoint);
    }

    [Fact]
    public void A_host_is_tried_first_and_not_twice()
    {
        var rabbit = new RabbitMqOptions { Host = "rabbit-1", Port = 5672, Nodes = ["rabbit-2:5672", "rabbit-1:5672", " ", "rabbit-3"] };

        Assert.Equal("rabbit-1", rabbit.Host);
        Assert.Equal([("rabbit-1", 5672), ("rabbit-2", 5672), ("rabbit-3", 5672)], rabbit.Endpoints);
        Assert.Equal("amqp://guest@rabbit-1:5672,rabbit-2:5672,rabbit-3:5672/", rabbit.ToString());
    }

    [Fact]
    public void Without_nodes_it_is_one_broker()
    {
        var rabbit = new RabbitMqOptions { Host = "rabbit", Port = 5671 };

        Assert.Equal([("rabbit", 5671)], rabbit.Endpoints);
        Assert.Equal("rabbit:5671", rabbit.Endpoint);
        Assert.Null(new RabbitMqOptions().Host);
    }

    [Theory]
    [InlineData("rabbit:port")]
    [InlineData("rabbit:0")]
    [InlineData("rabbit:70000")]
    public void A_node_with_a_bad_port_is_refused_with_the_setting(string node)
    {
        var e = Assert.Throws<FormatException>(() => new RabbitMqOptions { Nodes = [node] }.Endpoints);

        Assert.Contains("Bus:RabbitMq:Nodes", e.Message, StringComparison.Ordinal);
    }
}
