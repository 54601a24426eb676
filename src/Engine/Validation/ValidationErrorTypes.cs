namespace ComfySnap.Engine.Validation;

/// <summary>Error type names; ComfyUI's own where it has one, so clients can share handling.</summary>
public static class ValidationErrorTypes
{
    public const string InvalidJson = "invalid_prompt";
    public const string PromptNoOutputs = "prompt_no_outputs";
    public const string PromptOutputsFailedValidation = "prompt_outputs_failed_validation";
    public const string MissingNodeType = "missing_node_type";
    public const string RequiredInputMissing = "required_input_missing";
    public const string BadLinkedInput = "bad_linked_input";
    public const string ReturnTypeMismatch = "return_type_mismatch";
    public const string InvalidInputType = "invalid_input_type";
    public const string ValueNotInList = "value_not_in_list";
    public const string ValueSmallerThanMin = "value_smaller_than_min";
    public const string ValueBiggerThanMax = "value_bigger_than_max";
    public const string DependencyCycle = "dependency_cycle";
    public const string LimitExceeded = "limit_exceeded";
    public const string ModelNotFound = "model_not_found";
    public const string PathEscapesFolder = "path_escapes_folder";
    public const string InvalidInputFile = "invalid_input_file";
    public const string FileNameTooLong = "file_name_too_long";

    /// <summary>A model input given as a URL that is not pinned (no #sha256=...) or names no model file.</summary>
    public const string InvalidModelUrl = "invalid_model_url";
}
